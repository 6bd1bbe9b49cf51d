package org.fleettap.collector.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.fleettap.proto.v1.AdminServiceGrpc;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.AuditAction;
import org.fleettap.proto.v1.AuditEntry;
import org.fleettap.proto.v1.IngestServiceGrpc;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.SessionServiceGrpc;

/**
 * The collector's access checks, installed on every service: who is calling (the TLS peer certificate's subject OU
 * and CN, and for users the {@code authorization: Bearer} token), whether that caller may call the method ({@link
 * #TABLE}), and the {@link Principal} put into the call's {@link Context} ({@link Caller}) for the services.
 *
 * <ul>
 *   <li>Agent methods (AgentService, IngestService): a certificate with OU=agent. What a bound agent (CN not
 *       {@code *}) may do with its host id is the services' check ({@link Caller#requireHost}).
 *   <li>User methods (QueryService: viewer, SessionService: operator, AdminService: admin): a certificate with
 *       OU=user and a token whose tokens.yaml entry has the certificate's CN as name, of a role at least the
 *       method's.
 *   <li>Refused: UNAUTHENTICATED (no certificate, wrong kind of certificate, no or unknown token, another user's
 *       token) or PERMISSION_DENIED (role too low, a method nobody may call), with a one-line description; counted
 *       and logged by {@link Refusals}, and, for methods of the operator and admin roles, written to the {@link
 *       AuditLog}.
 *   <li>Insecure ({@link AccessSettings#isInsecure()}): nothing is checked, every caller is {@link
 *       Principal#ANONYMOUS}.
 * </ul>
 */
public final class AccessControl implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "Bearer ";

    /** Who may call a method: agents, or users of at least {@code role}. */
    public record Rule(Principal.Kind kind, Optional<Role> role) {
        static Rule agents() {
            return new Rule(Principal.Kind.AGENT, Optional.empty());
        }

        static Rule users(Role least) {
            return new Rule(Principal.Kind.USER, Optional.of(least));
        }
    }

    /** Every method the collector serves (full gRPC name) and who may call it. */
    public static final Map<String, Rule> TABLE = table();

    private static Map<String, Rule> table() {
        Map<String, Rule> t = new HashMap<>();
        add(t, AgentServiceGrpc.getServiceDescriptor(), Rule.agents());
        add(t, IngestServiceGrpc.getServiceDescriptor(), Rule.agents());
        add(t, QueryServiceGrpc.getServiceDescriptor(), Rule.users(Role.VIEWER));
        add(t, SessionServiceGrpc.getServiceDescriptor(), Rule.users(Role.OPERATOR));
        add(t, AdminServiceGrpc.getServiceDescriptor(), Rule.users(Role.ADMIN));
        return Collections.unmodifiableMap(t);
    }

    private static void add(Map<String, Rule> t, ServiceDescriptor service, Rule rule) {
        for (MethodDescriptor<?, ?> m : service.getMethods()) {
            t.put(m.getFullMethodName(), rule);
        }
    }

    private final AccessSettings settings;
    private final Refusals refusals;
    private final AuditLog audit;
    private final Caller anonymous;

    public AccessControl(AccessSettings settings, Refusals refusals, AuditLog audit) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.anonymous = new Caller(Principal.ANONYMOUS, true, refusals);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (settings.isInsecure()) {
            return Contexts.interceptCall(Context.current().withValue(Caller.KEY, anonymous), call, headers, next);
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        Rule rule = TABLE.get(method);
        Principal principal;
        try {
            principal = authenticate(method, rule, call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION),
                    headers.get(AUTHORIZATION), settings.tokens().orElseThrow());
        } catch (Refused r) {
            String service = call.getMethodDescriptor().getServiceName();
            refusals.refused(service == null ? method : service, r.reason, r.who + ": " + r.getMessage());
            if (rule != null && rule.role().isPresent() && rule.role().get().atLeast(Role.OPERATOR)) {
                audit.append(AuditEntry.newBuilder().setUser(r.who).setRole(r.role).setAction(
                        AuditAction.AUDIT_ACTION_REFUSED).setMethod(method).setOutcome("refused: " + r.getMessage()));
            }
            call.close(r.status.withDescription(r.getMessage()), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        Caller caller = new Caller(principal, false, refusals);
        return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call, headers, next);
    }

    /** Who calls {@code method} (which {@code rule} guards, null for a method not in the table), or why not. */
    static Principal authenticate(String method, Rule rule, SSLSession ssl, String authorization, Tokens tokens)
            throws Refused {
        Subject subject = subject(method, ssl);
        if (rule == null) {
            throw new Refused(Refusals.Reason.UNKNOWN_METHOD, Status.PERMISSION_DENIED, subject.describe(), "",
                    method + " is not open to any agent or user");
        }
        if (rule.kind() == Principal.Kind.AGENT) {
            if (!"agent".equals(subject.ou)) {
                throw new Refused(Refusals.Reason.WRONG_CERTIFICATE_KIND, Status.UNAUTHENTICATED, subject.describe(),
                        "", method + " is for agents: the client certificate is not an agent's (" + subject + ")");
            }
            return Principal.agent(subject.cn);
        }
        if (!"user".equals(subject.ou)) {
            throw new Refused(Refusals.Reason.WRONG_CERTIFICATE_KIND, Status.UNAUTHENTICATED, subject.describe(), "",
                    method + " is for users: the client certificate is not a user's (" + subject + ")");
        }
        if (authorization == null || !authorization.startsWith(BEARER) || authorization.length() == BEARER.length()) {
            throw new Refused(Refusals.Reason.NO_TOKEN, Status.UNAUTHENTICATED, subject.cn, "", method
                    + " needs the user's token (metadata 'authorization: Bearer TOKEN'; see 'fleettap certs')");
        }
        Tokens.User user = tokens.user(authorization.substring(BEARER.length()).strip()).orElseThrow(() ->
                new Refused(Refusals.Reason.UNKNOWN_TOKEN, Status.UNAUTHENTICATED, subject.cn, "",
                        "the token is not one of the collector's users (tokens.yaml)"));
        if (!user.name().equals(subject.cn)) {
            throw new Refused(Refusals.Reason.TOKEN_OF_ANOTHER_USER, Status.UNAUTHENTICATED, subject.cn, "",
                    "the token is not user " + subject.cn + "'s (the client certificate's CN)");
        }
        Role least = rule.role().orElseThrow();
        if (!user.role().atLeast(least)) {
            throw new Refused(Refusals.Reason.ROLE_TOO_LOW, Status.PERMISSION_DENIED, user.name(),
                    user.role().word(), method + " needs role " + least.word() + " or higher; user " + user.name()
                            + " is " + user.role().word());
        }
        return Principal.user(user.name(), user.role());
    }

    /** The subject of a client certificate: its OU and CN. */
    record Subject(String ou, String cn) {
        @Override
        public String toString() {
            return "OU=" + ou + ", CN=" + cn;
        }

        /** Who this is, for counts and the audit log: the user's name, "agent CN", or "OU=..., CN=...". */
        String describe() {
            return "user".equals(ou) ? cn : "agent".equals(ou) ? "agent " + cn : toString();
        }
    }

    private static Subject subject(String method, SSLSession ssl) throws Refused {
        X509Certificate cert = ssl == null ? null : peerCertificate(ssl);
        if (cert == null) {
            throw new Refused(Refusals.Reason.NO_CERTIFICATE, Status.UNAUTHENTICATED, "unknown", "", method
                    + " needs TLS with a client certificate from the collector's CA");
        }
        return subject(cert.getSubjectX500Principal());
    }

    /** The client's certificate; null when it sent none. */
    private static X509Certificate peerCertificate(SSLSession ssl) {
        try {
            Certificate[] chain = ssl.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert ? cert : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** OU and CN of {@code name} (empty when it has none; the last of several). */
    static Subject subject(X500Principal name) {
        String ou = "";
        String cn = "";
        try {
            for (Rdn rdn : new LdapName(name.getName(X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("OU")) {
                    ou = String.valueOf(rdn.getValue());
                } else if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            // X500Principal wrote it: cannot happen; treat as a subject without OU and CN.
            return new Subject("", "");
        }
        return new Subject(ou, cn);
    }

    /** A refused call: why, as what status, who it was (for the log and the audit log). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final Refusals.Reason reason;
        final transient Status status;
        final String who;
        final String role;

        Refused(Refusals.Reason reason, Status status, String who, String role, String description) {
            super(description, null, false, false);
            this.reason = reason;
            this.status = status;
            this.who = who;
            this.role = role;
        }
    }
}
